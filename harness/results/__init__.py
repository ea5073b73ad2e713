"""Result records: the typed schema, atomic writing, and loading into pandas."""

from harness.results.io import load_results, read_record, result_path, write_record
from harness.results.schema import SCHEMA_VERSION, ResultRecord

__all__ = ["SCHEMA_VERSION", "ResultRecord", "load_results", "read_record", "result_path", "write_record"]
