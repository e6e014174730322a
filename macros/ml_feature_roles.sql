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


{#- The row checks of ml_exam_score_features, derived from spf_columns() and encoded_columns()
    as its columns are (the arguments of its rows_are_valid test): every column not null but
    the codes of the categories the export may leave blank; each ordinal code one of its
    category's positions, each flag 0 or 1, each one-hot group summing to 1 (exactly one of
    its values), and the target within its range. -#}
{% macro ml_feature_checks() -%}
    {%- set roles = ml_feature_roles() -%}
    {%- set nullable = [] -%}
    {%- set expressions = [] -%}
    {%- for column in spf_columns() if column.kind == 'category' -%}
        {%- set encoded = encoded_columns(column) -%}
        {%- if column.encoding == 'ordinal' -%}
            {%- set code = encoded[0].name -%}
            {%- set check = code ~ ' in (' ~ range(column['values'] | length) | join(', ') ~ ')' -%}
            {%- if column.nullable -%}
                {%- do nullable.append(code) -%}
                {%- set check = code ~ ' is null or ' ~ check -%}
            {%- endif -%}
            {%- do expressions.append(check) -%}
        {%- elif column.encoding == 'flag' -%}
            {%- do expressions.append(encoded[0].name ~ ' in (0, 1)') -%}
        {%- else -%}
            {%- do expressions.append(encoded | map(attribute='name') | join(' + ') ~ ' = 1') -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for column in spf_columns() if column.target -%}
        {%- do expressions.append(
            column.name ~ ' between ' ~ column.min ~ ' and ' ~ column.max) -%}
    {%- endfor -%}
    {%- set not_null = [] -%}
    {%- for name in roles if name not in nullable -%}
        {%- do not_null.append(name) -%}
    {%- endfor -%}
    {{ return({'not_null': not_null, 'expressions': expressions}) }}
{%- endmacro %}
