"""Textual screens of the workstation. They call Teller's services, never the ORM."""
