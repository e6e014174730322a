{#- Creates schema `ml` and the ML step's output tables, empty, when they do not exist yet:
    the sources in models/staging/ml/_ml__sources.yml then resolve, and a plain `dbt build`
    works before any training. `python -m ml train` fills them; their column names and types
    are defined here only. `champion` (one row: the registered model this warehouse's
    predictions, app and `ml predict` use, with its files' fingerprint) is read by Python only
    (ml.tracking), so it is no dbt source. Runs from on-run-start on the commands that build or
    test. -#}
{% macro create_ml_output_tables() -%}
    {%- if execute and flags.WHICH in ['build', 'run', 'test'] -%}
        {%- set text = dbt.type_string() -%}
        {%- set number = type_double() -%}
        {%- set count = dbt.type_int() -%}
        {%- set flag = dbt.type_boolean() -%}
        {%- set tables = {
            'model_metrics': [
                ('run_id', text), ('model_name', text), ('is_champion', flag),
                ('mse', number), ('rmse', number), ('mae', number), ('r2', number),
                ('cv_mse_mean', number), ('cv_mse_std', number), ('cv_mae_mean', number),
                ('cv_r2_mean', number), ('cv_r2_std', number),
                ('n_train', count), ('n_test', count), ('n_test_anomalies', count),
                ('mse_without_anomalies', number), ('rmse_without_anomalies', number),
                ('mae_without_anomalies', number), ('r2_without_anomalies', number),
                ('interval_coverage', number), ('interval_mean_width', number),
                ('brier_score', number), ('brier_score_base_rate', number),
                ('trained_at', dbt.type_timestamp()), ('model_version', text),
            ],
            'feature_importance': [
                ('run_id', text), ('model_name', text), ('feature_name', text),
                ('importance_mean', number), ('importance_std', number),
                ('importance_rank', count), ('trained_at', dbt.type_timestamp()),
            ],
            'predictions': [
                ('student_key', text), ('predicted_exam_score', number),
                ('predicted_lower', number), ('predicted_upper', number),
                ('probability_below_at_risk_score', number), ('is_predicted_at_risk', flag),
                ('top_reasons', text),
                ('reason_1_factor', text), ('reason_1_points', number),
                ('reason_2_factor', text), ('reason_2_points', number),
                ('reason_3_factor', text), ('reason_3_points', number),
                ('run_id', text), ('is_score_anomaly', flag), ('trained_at', dbt.type_timestamp()),
            ],
            'champion': [
                ('registered_model', text), ('model_version', text), ('run_id', text),
                ('fingerprint_sha256', text), ('trained_at', dbt.type_timestamp()),
            ],
        } -%}
        {{ return(create_missing_tables('ml', tables)) }}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}

