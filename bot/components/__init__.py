"""Custom NLU components of the engine (Rasa 3.6, engine environment)."""
