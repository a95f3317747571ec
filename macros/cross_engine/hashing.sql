{#
    Hashes. content_hash() only has to tell rows apart within one build
    (flag_duplicates compares min and max per key), so each engine uses its
    fast native 64-bit hash; Spark's xxhash64 skips null arguments, so the
    columns are hashed as one JSON object (a null and a value never hash
    alike). sha256_hex() must be the same on every engine: it is the stored
    e-mail hash.
#}

{% macro content_hash(columns) -%}
    {{- return(adapter.dispatch('content_hash', 'retention')(columns)) -}}
{%- endmacro %}

{% macro default__content_hash(columns) -%}
    hash({{ columns | join(", ") }})
{%- endmacro %}

{% macro spark__content_hash(columns) -%}
    xxhash64(to_json(struct({{ columns | join(", ") }})))
{%- endmacro %}


{# Lower-case hexadecimal SHA-256 of a text expression. #}
{% macro sha256_hex(value) -%}
    {{- return(adapter.dispatch('sha256_hex', 'retention')(value)) -}}
{%- endmacro %}

{% macro default__sha256_hex(value) -%}
    sha256({{ value }})
{%- endmacro %}

{% macro spark__sha256_hex(value) -%}
    sha2({{ value }}, 256)
{%- endmacro %}


{#
    raw_row_hash(): a hash of every column of the current raw row, file row
    number included, the file path excluded (a bucket fingerprint's term,
    macros/staging/incremental_buckets.sql; the path is the bucket's). On
    Spark every build is a full build (no stored fingerprint is compared):
    a 32-bit hash of the row as JSON (null-safe), whose sum cannot overflow
    Spark's ANSI bigint.
#}
{% macro raw_row_hash() -%}
    {{- return(adapter.dispatch('raw_row_hash', 'retention')()) -}}
{%- endmacro %}

{% macro default__raw_row_hash() -%}
    hash(*columns(* exclude (_source_file)))
{%- endmacro %}

{% macro spark__raw_row_hash() -%}
    hash(to_json(struct(*)))
{%- endmacro %}
