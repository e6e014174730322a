{#- Fails when the sum of the column differs from compare_column of compare_model (a one-row
    model, e.g. a group mart's student counts against rpt_kpi_summary.student_count). -#}
{% test sum_equals(model, column_name, compare_model, compare_column) %}
with

model_sum as (
    select sum({{ column_name }}) as total from {{ model }}
),

compare_value as (
    select max({{ compare_column }}) as total from {{ compare_model }}
)

select
    model_sum.total as model_total,
    compare_value.total as compare_total
from model_sum
cross join compare_value
where
    model_sum.total is null
    or compare_value.total is null
    or model_sum.total != compare_value.total
{% endtest %}
