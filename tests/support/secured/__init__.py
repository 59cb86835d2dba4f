"""Real secured servers for tests, on this machine: a private CA and certificates, a TLS
terminator (stunnel) in front of plaintext servers, Kafka (Tansu) over TLS, mutual TLS
and SASL, RabbitMQ over amqps and https, MariaDB with TLS required, and an OAuth2
client-credentials token endpoint. ``fixtures`` exposes them to pytest."""
