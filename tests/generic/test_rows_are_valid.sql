{#- Fails for each row where a column of `not_null` is null or an expression of `expressions`
    is not true (a null result fails too): all of a model's row checks in one scan, instead of
    one not_null, accepted_values, in_range or expression_is_true test (and one scan, and one
    dbt node) each. A failing row shows `check_<n>`, false for each expression it fails, in the
    order given. An item of either list may itself be a list (a YAML anchor shared by several
    models), which is flattened. -#}
{% test rows_are_valid(model, not_null=[], expressions=[]) %}
{%- set columns = [] -%}
{%- for item in not_null -%}
    {%- do columns.extend(item if item is not string else [item]) -%}
{%- endfor -%}
{%- set checks = [] -%}
{%- for item in expressions -%}
    {%- do checks.extend(item if item is not string else [item]) -%}
{%- endfor -%}
{%- for column in columns -%}
    {%- do checks.append(column ~ ' is not null') -%}
{%- endfor -%}
with

checked as (
    select
        {%- for check in checks %}
        coalesce({{ check }}, false) as check_{{ loop.index }},
        {%- endfor %}
        *
    from {{ model }}
)

select *
from checked
where not (
    {%- for check in checks %}
    check_{{ loop.index }}{{ ' and' if not loop.last }}
    {%- endfor %}
)
{% endtest %}
