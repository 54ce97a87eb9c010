"""Settings for the test suite: a throwaway database, no CSRF on the test client, no limits."""

TESTING = True
WTF_CSRF_ENABLED = False
AUTH_RATE_LIMITED = False
RATELIMIT_ENABLED = False
SECRET_KEY = "testing-only-secret-key-long-enough-for-jwt-hmac"
DEMO_CUSTOMERS = 20
# Imports started on the screen run inside the request, so a test sees their outcome at once.
IMPORT_IN_BACKGROUND = False
