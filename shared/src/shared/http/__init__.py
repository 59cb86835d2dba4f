"""HTTP pieces every component's API shares: error mapping, body limits, health routes."""
