"""Copy to production.py (or set REGULARS_* environment variables) for a real deployment.

    REGULARS_CONFIG=config/production.py gunicorn 'core.app:create_app()'
"""

DATABASE_URL = "postgresql+psycopg://regulars:CHANGE-ME@127.0.0.1/regulars"
# No SECRET_KEY here: a key written in a file that gets copied around is no secret. Set
# REGULARS_SECRET_KEY (the same on every worker: python -c 'import secrets; print(secrets.token_hex(32))'),
# or leave it unset on a single machine and one is generated into instance/secret_key.

SESSION_COOKIE_SECURE = True
REMEMBER_COOKIE_SECURE = True
SESSION_COOKIE_SAMESITE = "Lax"
PREFERRED_URL_SCHEME = "https"

AUTH_RATE_LIMITED = True
RATELIMIT_STORAGE_URI = "memory://"  # use redis:// or memcached:// with several workers

# Exactly one `regulars scheduler` process runs the jobs; web workers never do.
SCHEDULER_IN_PROCESS = False
