"""How log records are written: as text, or with ``REGWATCH_LOG_FORMAT=json`` as one JSON
object a line (python-json-logger), for log shippers. One definition for the application's
logging (``settings.LOGGING``) and the web server's own (``regwatch.serve``)."""

JSON_FORMATTER = {
    "()": "pythonjsonlogger.json.JsonFormatter",
    "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
    "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
    "timestamp": False,
}
TEXT_FORMATTER = {"format": "%(message)s"}
