"""FastAPI front door of the assistant."""
