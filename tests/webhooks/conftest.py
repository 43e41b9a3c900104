from tests.api.conftest import client, editor_client, reader_client  # noqa: F401
