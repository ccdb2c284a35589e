from tests.support.databases import fresh_postgres

__all__ = ["fresh_postgres"]
