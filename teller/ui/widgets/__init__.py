"""Widgets shared by the workstation's screens."""
