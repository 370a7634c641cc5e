"""Channels through which users reach the assistant besides the chat API."""
