{#- True for a column that a file being scored may leave out, or leave blank: the model's
    target (`target: true` in spf_columns, Exam_Score) when `vars.spf_scoring` is true, as
    `python -m ml predict` sets it. A value that is given is checked as in every build. -#}
{% macro is_optional_when_scoring(column) -%}
    {{ return(var('spf_scoring', false) and column.get('target', false)) }}
{%- endmacro %}
