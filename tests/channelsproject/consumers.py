import json
import os

from channels.generic.websocket import AsyncWebsocketConsumer


def note(line):
    """One line in the file CHANNELS_NOTES names (what the consumers saw), if set."""
    path = os.environ.get("CHANNELS_NOTES")
    if path:
        with open(path, "a") as f:
            f.write(line + "\n")


class EchoConsumer(AsyncWebsocketConsumer):
    """Echoes text with the user Channels' AuthMiddlewareStack found."""

    async def connect(self):
        await self.accept()

    async def receive(self, text_data=None, bytes_data=None):
        if bytes_data is not None:
            await self.send(bytes_data=bytes_data)
            return
        user = self.scope["user"]
        await self.send(
            text_data=json.dumps(
                {
                    "echo": text_data,
                    "user": user.get_username() if user.is_authenticated else "",
                    "path": self.scope["path"],
                }
            )
        )


class PlainEchoConsumer(AsyncWebsocketConsumer):
    """Sends every message back as it came (text as text, bytes as bytes);
    notes the close code of the disconnect."""

    async def connect(self):
        await self.accept()

    async def receive(self, text_data=None, bytes_data=None):
        if bytes_data is not None:
            await self.send(bytes_data=bytes_data)
        else:
            await self.send(text_data=text_data)

    async def disconnect(self, code):
        note("%s %s" % (self.scope["path"], code))


class UserConsumer(AsyncWebsocketConsumer):
    """Sends {"user": the username of scope["user"]} (AuthMiddlewareStack's;
    "" for the anonymous user) once accepted."""

    async def connect(self):
        await self.accept()
        user = self.scope["user"]
        await self.send(text_data=json.dumps({"user": user.get_username() if user.is_authenticated else ""}))


class CloseConsumer(AsyncWebsocketConsumer):
    """Closes with the code in its URL at the first message it receives; with
    code 0, refuses the connection (a close before accept: 403)."""

    async def connect(self):
        if self.code():
            await self.accept()
        else:
            await self.close()

    async def receive(self, text_data=None, bytes_data=None):
        await self.close(code=self.code())

    def code(self):
        return int(self.scope["url_route"]["kwargs"]["code"])
