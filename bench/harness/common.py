"""Names shared by the runtime benchmark modules."""

TIMEOUT = 30.0  # seconds for any one runtime command
MiB = 1024 * 1024


class StepFailed(Exception):
    """A runtime command failed or misbehaved; the message is the line shown in the table."""
