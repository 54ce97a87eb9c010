"""Settings for the test suite: a throwaway database, no CSRF on the test client, no limits."""

TESTING = True
WTF_CSRF_ENABLED = False
AUTH_RATE_LIMITED = False
RATELIMIT_ENABLED = False
LOGIN_THROTTLE = False
SECRET_KEY = "testing-only-secret-key-long-enough-for-jwt-hmac"
DEMO_CUSTOMERS = 20
# Background tasks run in the process that enqueued them, right after the commit, so a test sees
# their outcome at once (the task tests start real worker processes instead).
TASKS_EAGER = True
# Passwords hashed quickly: the suite signs in thousands of times. Production keeps scrypt.
FAB_PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
