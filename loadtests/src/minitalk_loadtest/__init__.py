"""MiniTalk's load generator: users, rooms, one Socket.IO connection per user, messages."""
