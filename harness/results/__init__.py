"""Result records: the typed schema, identity, atomic writing, and the one validating reader."""

from harness.results.identity import RecordKey, record_key
from harness.results.io import RecordFile, load_results, read_record, read_records, result_path, write_record
from harness.results.schema import SCHEMA_VERSION, ResultRecord

__all__ = [
    "SCHEMA_VERSION",
    "RecordFile",
    "RecordKey",
    "ResultRecord",
    "load_results",
    "read_record",
    "read_records",
    "record_key",
    "result_path",
    "write_record",
]
