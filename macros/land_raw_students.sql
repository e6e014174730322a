{#- Lands a raw export in raw.student_performance_factors with the engine's own CSV reader:
    every export column as text, plus the file's row number, the load time, the file name and
    its SHA-256. Rows the reader cannot split into fields are kept too, with `load_error` set,
    so that staging rejects them with a reason instead of losing them.

    The raw table changes only when asked: when a file is given (`--vars '{raw_csv: FILE}'`,
    `make run RAW_CSV=FILE`, `python -m spf land`), or when no raw table exists yet (the shipped
    sample, `var('spf_sample_csv')`, so a first plain `dbt build` works). A plain
    `dbt run -s <model>` never replaces it. Runs on build, run and seed only, and not when
    SPF_SKIP_LANDING=1 (the runner's later commands of one job, after it landed once). -#}
{% macro land_raw_students() -%}
    {%- set skip = env_var('SPF_SKIP_LANDING', '0') == '1' -%}
    {%- if execute and flags.WHICH in ['build', 'run', 'seed', 'run-operation'] and not skip -%}
        {%- set asked = var('raw_csv', none) -%}
        {%- set raw_schema = spf_schema('raw') -%}
        {%- set existing = adapter.get_relation(
            database=target.database, schema=raw_schema,
            identifier='student_performance_factors') -%}
        {%- if not asked and existing is not none -%}
            {{ log('raw.student_performance_factors kept as it is (no raw_csv given)', info=true) }}
            {{ return('') }}
        {%- endif -%}
        {%- set path = asked or var('spf_sample_csv') -%}
        {#- the engines' readers take * ? [ ] as a pattern: they would read other files -#}
        {%- if modules.re.search('[][*?]', path) -%}
            {{ refuse_raw_file(raw_file_name(path), 'has * ? [ or ] in its path, which DuckDB and'
                ~ ' Spark read as a pattern of file names (they would land other files)',
                'Land it with `python -m pipeline run --raw-csv FILE` (or `python -m pipeline'
                ~ ' land`), which reads exactly that file, or rename it.') }}
        {%- endif -%}
        {{ log('Landing ' ~ raw_file_name(path) ~ ' in raw.student_performance_factors',
            info=true) }}
        {{ return(adapter.dispatch('land_raw_students', 'student_performance')(path)) }}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}


{#- A raw file's refusal, with what was found and that nothing changed. -#}
{% macro refuse_raw_file(name, why, fix='') -%}
    {{ exceptions.raise_compiler_error(
        "Raw file '" ~ name ~ "' " ~ why ~ "; nothing was loaded or replaced."
        ~ ("\n  " ~ fix if fix else '')) }}
{%- endmacro %}


{#- The user's name of the file being landed, for messages and the raw table. The runner lands
    a file it names itself in its build area (a link to the user's file, or a UTF-8 copy) and
    gives the user's path in SPF_RAW_SOURCE_FILE: an environment variable's value is never
    rendered as a template, as a --vars value is, so a name holding {{ }} stays a name. -#}
{% macro raw_file_name(path) -%}
    {{ return(env_var('SPF_RAW_SOURCE_FILE', '') or path) }}
{%- endmacro %}


{#- What the raw table records of the file: its path (the user's file, when the runner landed a
    link or UTF-8 copy) and SHA-256 (given by the runner, which reads the file anyway; computed
    here for a plain dbt run). The path reaches SQL as hex, decoded by the engine: a value,
    whatever quotes or backslashes it holds. -#}
{% macro raw_file_identity(path, checksum_sql) -%}
    {%- set source_file = raw_file_name(path) -%}
    {%- set checksum = var('raw_source_sha256', none) -%}
    {%- if checksum and not modules.re.fullmatch('[0-9a-f]{64}', checksum) -%}
        {{ exceptions.raise_compiler_error(
            "var raw_source_sha256 must be 64 lower-case hex digits, not '" ~ checksum ~ "'") }}
    {%- endif -%}
    {{ return({
        'file': text_from_hex(source_file.encode('utf-8', 'backslashreplace').hex()),
        'sha256': ("'" ~ checksum ~ "'") if checksum else checksum_sql,
    }) }}
{%- endmacro %}


{% macro duckdb__land_raw_students(path) -%}
    {%- set quoted_path = "'" ~ (path | replace("'", "''")) ~ "'" -%}
    {%- set found = run_query('select count(*) from glob(' ~ quoted_path ~ ')') -%}
    {%- set file_count = found.columns[0].values()[0] -%}
    {%- if file_count == 0 -%}
        {{ refuse_raw_file(raw_file_name(path), 'was not found') }}
    {%- endif -%}
    {%- set is_parquet = (var('raw_format', none) or ('parquet' if path.endswith('.parquet')
        else 'csv')) == 'parquet' -%}
    {%- if is_parquet -%}
        {#- a Parquet file's "header" is its schema's column names -#}
        {%- set names = run_query('select name from parquet_schema(' ~ quoted_path ~ ')'
            ~ " where num_children is null").columns[0].values() -%}
        {%- set header_line = names | join(',') -%}
    {%- else -%}
        {#- the first line: `limit 1` returns it only while insertion order is preserved (the
            profile turns that off, and a parallel scan of a large file may then give any
            line), so it is preserved for this one query -#}
        {%- set preserved = run_query(
            "select current_setting('preserve_insertion_order')").columns[0].values()[0] -%}
        {%- set header = run_query(
            'set preserve_insertion_order = true; select line from read_csv(' ~ quoted_path
            ~ ", header=false, auto_detect=false, columns={'line': 'VARCHAR'}, delim='\\x1f',"
            ~ " quote='', escape='', ignore_errors=true, max_line_size="
            ~ var('spf_max_line_bytes') ~ ") limit 1") -%}
        {%- do run_query('set preserve_insertion_order = ' ~ preserved) -%}
        {%- if not header.rows -%}
            {{ refuse_raw_file(raw_file_name(path), 'is empty (no header, no rows)') }}
        {%- endif -%}
        {%- set header_line = header.columns[0].values()[0] -%}
    {%- endif -%}
    {%- set present = check_raw_header(raw_file_name(path), header_line) -%}
    {%- set identity = raw_file_identity(
        path, '(select sha256(content) from read_blob(' ~ quoted_path ~ '))') -%}

    {#- declared in the file's own order; a file being scored may leave out the target -#}
    {%- set columns = [] -%}
    {%- for name in present -%}
        {%- do columns.append("'" ~ name | lower ~ "': 'VARCHAR'") -%}
    {%- endfor -%}
    {%- set raw = spf_schema('raw') ~ '.student_performance_factors' -%}
    {%- set landing = raw ~ '__landing' -%}
    {#- one pass: the reader writes the landing table itself; rows it cannot split go to its
        rejects table, and only when there are any are the row numbers corrected (ordinality
        counts parsed rows only) and those rows added -#}
    {%- set parse_sql -%}
        create schema if not exists {{ spf_schema('raw') }};

        create or replace table {{ landing }} as
        select
            cast(ordinality as bigint) as source_row_number,
            {%- for column in spf_columns() %}
            {%- if column.raw in present %}
            {{ raw_column_name(column) }},
            {%- else %}
            cast(null as varchar) as {{ raw_column_name(column) }},
            {%- endif %}
            {%- endfor %}
            cast(null as varchar) as raw_line,
            cast(null as varchar) as load_error,
            cast(current_timestamp at time zone 'UTC' as timestamp) as loaded_at,
            {{ identity.file }} as source_file,
            {{ identity.sha256 }} as source_file_sha256
        {%- if is_parquet %}
        {# the reader's own row numbers (`file_row_number`, read in parallel with the rows;
           `with ordinality` numbers them in one ordered stream, about twice the landing's
           time at 10M rows) #}
        from (
            select
                {%- for name in present %}
                cast("{{ name }}" as varchar) as {{ name | lower }},
                {%- endfor %}
                file_row_number + 1 as ordinality
            from read_parquet({{ quoted_path }}, file_row_number = true)
        ) as parsed;

        create temp table spf_rejects as select 1 as line where false;
        create temp table spf_reject_scans as select 1 as scan_id where false;
        {%- else %}
        from read_csv(
            {{ quoted_path }},
            header = true, auto_detect = false, columns = { {{ columns | join(', ') }} },
            delim = ',', quote = '"', escape = '"', null_padding = true,
            max_line_size = {{ var('spf_max_line_bytes') }},
            ignore_errors = true, store_rejects = true,
            rejects_table = 'spf_rejects', rejects_scan = 'spf_reject_scans'
        ) with ordinality;
        {%- endif %}

        select count(*) from spf_rejects
    {%- endset -%}
    {%- set rejected = run_query(parse_sql).columns[0].values()[0] -%}
    {%- set landing_sql -%}
        {%- if rejected > 0 %}
        create or replace temp table spf_unparsed as
        select
            cast(line - 1 as bigint) as source_row_number,
            row_number() over (order by line) as unparsed_rank,
            min(csv_line) as raw_line,
            string_agg(distinct error_type, '; ') as load_error
        from spf_rejects
        group by line;

        update {{ landing }}
        set source_row_number = source_row_number + (
            select count(*) from spf_unparsed
            where spf_unparsed.source_row_number - spf_unparsed.unparsed_rank
                < {{ landing }}.source_row_number
        );

        insert into {{ landing }}
        select
            source_row_number,
            {%- for column in spf_columns() %}
            cast(null as varchar),
            {%- endfor %}
            raw_line,
            lower(replace(load_error, '_', ' ')),
            cast(current_timestamp at time zone 'UTC' as timestamp),
            {{ identity.file }},
            {{ identity.sha256 }}
        from spf_unparsed;

        drop table spf_unparsed;
        {%- endif %}
        drop table spf_rejects;
        drop table spf_reject_scans;
        select count(*) from {{ landing }}
    {%- endset -%}
    {%- set landed = run_query(landing_sql).columns[0].values()[0] -%}
    {%- if landed == 0 -%}
        {%- do run_query('drop table ' ~ landing) -%}
        {{ refuse_raw_file(raw_file_name(path), 'has a header but no data rows') }}
    {%- endif -%}
    {%- set landing_sql -%}
        drop table if exists {{ raw }};
        alter table {{ landing }} rename to student_performance_factors
    {%- endset -%}
    {{ return(run_committed(landing_sql)) }}
{%- endmacro %}


{% macro default__land_raw_students(path) -%}
    {{ exceptions.raise_compiler_error(
        "No landing is defined for the '" ~ target.type ~ "' adapter.") }}
{%- endmacro %}


{#- Postgres cannot read a client's file from SQL: `python -m spf land` (run by `make run`)
    copies it in with COPY ... FROM STDIN first. Here we only check that it did. -#}
{% macro postgres__land_raw_students(path) -%}
    {%- set landed = run_query(
        "select count(*) from information_schema.tables where table_schema = '"
        ~ spf_schema('raw') ~ "' and table_name = 'student_performance_factors'") -%}
    {%- if landed.columns[0].values()[0] == 0 -%}
        {{ exceptions.raise_compiler_error(
            "raw.student_performance_factors does not exist in this Postgres database. On Postgres"
            ~ " the raw file is loaded with COPY by `python -m spf land --target "
            ~ target.name ~ " --raw-csv FILE` (`make run TARGET=postgres` does it for you).") }}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}


{#- Spark reads the file with its own CSV reader (a temporary view `using csv`); one statement
    at a time, since Spark SQL runs no multi-statement scripts. Short rows are padded with
    nulls, as on DuckDB; rows with more fields than the export are kept with `load_error`. -#}
{% macro spark__land_raw_students(path) -%}
    {%- set header = run_query('select value from text.`' ~ path ~ '` limit 2') -%}
    {%- if not header.rows -%}
        {{ refuse_raw_file(raw_file_name(path), 'is empty (no header, no rows)') }}
    {%- elif header.rows | length < 2 -%}
        {{ refuse_raw_file(raw_file_name(path), 'has a header but no data rows') }}
    {%- endif -%}
    {%- set present = check_raw_header(raw_file_name(path), header.columns[0].values()[0]) -%}
    {%- set identity = raw_file_identity(
        path, '(select sha2(content, 256) from binaryFile.`' ~ path ~ '`)') -%}
    {%- set columns = [] -%}
    {%- for name in present -%}
        {%- do columns.append(name | lower ~ ' string') -%}
    {%- endfor -%}
    {%- set field_count = present | length -%}
    {%- set too_long = "size(split(_corrupt_record, ',')) > " ~ field_count -%}
    {%- do run_query('create schema if not exists raw') -%}
    {%- do run_query(
        'create or replace temporary view spf_raw_csv (' ~ columns | join(', ')
        ~ ", _corrupt_record string) using csv options (path '" ~ path ~ "', header 'true',"
        ~ " mode 'PERMISSIVE', columnNameOfCorruptRecord '_corrupt_record')") -%}
    {%- do run_query('drop table if exists raw.student_performance_factors__landing') -%}
    {#- row numbers in file order without a window over every row (which would move all rows
        to one partition): monotonically_increasing_id() holds the partition index in its upper
        31 bits and the row's place in the partition below; a partition's offset is the rows
        of the partitions before it, from one small aggregate -#}
    {%- do run_query(
        'create or replace temporary view spf_raw_numbered as select *,'
        ~ ' monotonically_increasing_id() as spf_id from spf_raw_csv') -%}
    {%- do run_query(
        'create or replace temporary view spf_raw_offsets as select spf_partition,'
        ~ ' coalesce(sum(spf_rows) over (order by spf_partition rows between unbounded preceding'
        ~ ' and 1 preceding), 0) as spf_offset from (select shiftright(spf_id, 33) as'
        ~ ' spf_partition, count(*) as spf_rows from spf_raw_numbered group by 1)') -%}
    {%- set landing_sql -%}
        create table raw.student_performance_factors__landing using parquet as
        select /*+ broadcast(spf_raw_offsets) */
            spf_raw_offsets.spf_offset + (spf_id - shiftleft(shiftright(spf_id, 33), 33)) + 1
                as source_row_number,
            {%- for column in spf_columns() %}
            {%- if column.raw in present %}
            case when {{ too_long }} then null else {{ raw_column_name(column) }} end
                as {{ raw_column_name(column) }},
            {%- else %}
            cast(null as string) as {{ raw_column_name(column) }},
            {%- endif %}
            {%- endfor %}
            case when {{ too_long }} then _corrupt_record end as raw_line,
            case when {{ too_long }} then 'too many columns' end as load_error,
            current_timestamp() as loaded_at,
            {{ identity.file }} as source_file,
            {{ identity.sha256 }} as source_file_sha256
        from spf_raw_numbered
        inner join spf_raw_offsets
            on shiftright(spf_raw_numbered.spf_id, 33) = spf_raw_offsets.spf_partition
    {%- endset -%}
    {%- do run_query(landing_sql) -%}
    {%- do run_query('drop table if exists raw.student_performance_factors') -%}
    {%- do run_query('alter table raw.student_performance_factors__landing'
        ~ ' rename to raw.student_performance_factors') -%}
    {{ return('') }}
{%- endmacro %}
