"""How the outside reaches the order-service: the HTTP app and the command line."""
