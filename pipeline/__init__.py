"""The main job and its command line: the top layer, above spf (core), ml and insights.

`pipeline.job` defines the job's steps once; `python -m pipeline run` (`make run`) and the
Dagster assets in orchestration/ both run them."""
