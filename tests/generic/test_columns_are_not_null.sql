{#- Fails for each row where any of `columns` is null: one scan for all of a model's required
    columns, instead of one not_null test (and one full scan) per column. -#}
{% test columns_are_not_null(model, columns) %}
select {{ columns | join(', ') }}
from {{ model }}
where
    {%- for column in columns %}
    {{ column }} is null{{ ' or' if not loop.last }}
    {%- endfor %}
{% endtest %}
