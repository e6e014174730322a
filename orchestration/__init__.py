"""The pipeline as a Dagster code location (orchestration.definitions): on top of every other
package; nothing imports it."""
