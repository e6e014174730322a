{#- The columns of ml_exam_score_features and the role each plays for the ML step, in order:
    {name: role} with role one of id, measure (a numeric factor as measured), ordinal_code,
    flag, one_hot (see encoded_columns) and target. The model selects exactly these columns;
    the ML step reads the roles from the model's `meta.ml_column_roles` in dbt's manifest
    (ml/features.py), never from the columns' names. -#}
{% macro ml_feature_roles() -%}
    {%- set roles = {'student_key': 'id', 'source_row_number': 'id'} -%}
    {%- for column in spf_columns() if column.kind != 'category' and not column.target -%}
        {%- do roles.update({column.name: 'measure'}) -%}
    {%- endfor -%}
    {%- for encoded in encoded_column_names() -%}
        {%- do roles.update({encoded.name: encoded.role}) -%}
    {%- endfor -%}
    {%- for column in spf_columns() if column.target -%}
        {%- do roles.update({column.name: 'target'}) -%}
    {%- endfor -%}
    {{ return(roles) }}
{%- endmacro %}


{#- One column of ml_exam_score_features as selected from int_students_featured (with its
    comma unless `last`): booleans (flags, one-hot columns) as 0/1, the others as they are. -#}
{% macro ml_feature_column(name, role, last=false) -%}
    {%- if role in ['flag', 'one_hot'] -%}
        cast({{ name }} as {{ dbt.type_int() }}) as {{ name }}
    {%- else -%}
        {{ name }}
    {%- endif -%}
    {{- '' if last else ',' -}}
{%- endmacro %}
