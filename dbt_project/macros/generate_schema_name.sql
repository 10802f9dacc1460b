{# Use the configured schema name as is (staging, marts) rather than dbt's <target>_<custom> form,
   so analysts query marts.fct_... whatever the target. #}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
