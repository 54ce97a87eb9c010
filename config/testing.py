"""Settings for the test suite: a throwaway database, no CSRF on the test client, no limits."""

TESTING = True
WTF_CSRF_ENABLED = False
AUTH_RATE_LIMITED = False
RATELIMIT_ENABLED = False
SECRET_KEY = "testing-secret-key"
DEMO_CUSTOMERS = 20
