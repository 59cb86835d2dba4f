"""Local process mode: brokers checked or embedded, migrations, every component supervised."""
