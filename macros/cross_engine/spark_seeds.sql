{#
    Seeds on Spark. dbt-spark 1.11's session method formats the seed
    bindings into the SQL text itself ("sql % parameters"): a quote inside a
    value ("Can't Lose Them") breaks the statement and a null arrives as the
    text 'None', which ANSI mode refuses to cast. This override of
    dbt-spark's spark__load_csv_rows writes escaped literals and real nulls
    instead of bindings. Used on the spark target only (root-project macros
    take precedence in dbt's dispatch).
#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for col_name in agate_table.column_names -%}
                    {%- set type = column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)) -%}
                    {%- set value = row[loop.index0] -%}
                    {%- if value is none -%}
                        cast(null as {{ type }})
                    {%- else -%}
                        cast('{{ (value | string).replace("\\", "\\\\").replace("'", "\\'") }}' as {{ type }})
                    {%- endif -%}
                    {{- "," if not loop.last -}}
                {%- endfor -%}){{- "," if not loop.last }}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.index0 == 0 -%}
            {%- do statements.append(sql) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(statements[0]) }}
{% endmacro %}
