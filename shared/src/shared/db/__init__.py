"""MySQL helpers (aiomysql): pool, unit of work, idempotent consumption."""
