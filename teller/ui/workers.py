"""What the screens' thread workers share."""

from textual.message import Message
from textual.message_pump import MessagePump
from textual.worker import get_current_worker


def post_if_current(receiver: MessagePump, message: Message) -> None:
    """Post a loader's result unless a newer run of the same exclusive worker has replaced it. A thread cannot
    be stopped, so without this a slow, stale load could paint over the fresh one that followed it."""
    if not get_current_worker().is_cancelled:
        receiver.post_message(message)
