import json

from channels.generic.websocket import AsyncWebsocketConsumer


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
