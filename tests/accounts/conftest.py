"""What the accounts tests share: a hasher that counts the passwords it hashes (a refused
try must hash none)."""

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher


class CountingHasher(MD5PasswordHasher):
    """The tests' hasher, counting every password it hashes (a refused try must add none)."""

    algorithm = "counting_md5"
    hashed = 0

    def encode(self, password, salt):
        type(self).hashed += 1
        return super().encode(password, salt)


@pytest.fixture
def counting(settings):
    settings.PASSWORD_HASHERS = [
        "tests.accounts.conftest.CountingHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    CountingHasher.hashed = 0
    return CountingHasher
