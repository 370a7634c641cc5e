"""Routing requests to the right service or représentant des usagers, and transmitting them as tickets."""
