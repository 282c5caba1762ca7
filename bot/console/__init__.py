"""The agent console: login, live queue, conversations, replies and handing back to the bot."""
