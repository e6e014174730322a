{#- Fails unless the model holds exactly `expected` rows (e.g. 1 for a one-row report). -#}
{% test row_count_is(model, expected) %}
with

model_rows as (
    select count(*) as row_count from {{ model }}
)

select row_count
from model_rows
where row_count != {{ expected }}
{% endtest %}
