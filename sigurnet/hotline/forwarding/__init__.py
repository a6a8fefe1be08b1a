"""The hotline's forwarding flow (issue 14): where assessed content is hosted, who it goes to,
the dispatches, and whether it is still online."""
