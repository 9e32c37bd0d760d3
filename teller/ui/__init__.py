"""The workstation's shell: the Textual app, its commands, palette and shared widgets."""
