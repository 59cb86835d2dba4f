"""How the outside world reaches the users context: the HTTP API and the command line."""
