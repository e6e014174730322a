{#- The one definition of how a category column is encoded (doc block `category_encodings`):
    a list of {name, expression, role}, one per encoded column:
      ordinal -> <name>_code: position in `values` (0, 1, 2, ...), null when missing
                 (role ordinal_code);
      flag    -> has_<name>: true for the second value, Yes (role flag);
      one_hot -> is_<name>_<value>: one boolean per value (role one_hot).
    encode_category, encoded_column_names, exam_score_factors and ml_exam_score_features all
    read it; the ML step reads the roles from the features mart's column meta. -#}
{% macro encoded_columns(column) -%}
    {%- set name = column.name -%}
    {%- set encoded = [] -%}
    {%- if column.encoding == 'ordinal' -%}
        {%- set cases = [] -%}
        {%- for value in column['values'] -%}
            {%- do cases.append("when '" ~ value ~ "' then " ~ loop.index0) -%}
        {%- endfor -%}
        {%- do encoded.append({'name': name ~ '_code', 'role': 'ordinal_code',
            'expression': 'case ' ~ name ~ ' ' ~ cases | join(' ') ~ ' end'}) -%}
    {%- elif column.encoding == 'flag' -%}
        {%- do encoded.append({'name': 'has_' ~ name, 'role': 'flag',
            'expression': name ~ " = '" ~ column['values'][1] ~ "'"}) -%}
    {%- elif column.encoding == 'one_hot' -%}
        {%- for value in column['values'] -%}
            {%- do encoded.append({
                'name': 'is_' ~ name ~ '_' ~ value | lower | replace(' ', '_'), 'role': 'one_hot',
                'expression': name ~ " = '" ~ value ~ "'"}) -%}
        {%- endfor -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "Unknown encoding '" ~ column.encoding ~ "' for column " ~ name) }}
    {%- endif -%}
    {{ return(encoded) }}
{%- endmacro %}
