{# Pre-hook of the incremental marts: empty the partition window before delete+insert refills it. The
   unique_key delete only removes rows whose key comes back: an hour a venue no longer serves (a re-fetch that
   found a gap), a liquidation no longer seen, or a snapshot re-stamped with a new time (observed_at is the
   fetch time on Deribit) would leave the old row behind, so the published marts would disagree with raw.
   Emptying the window first makes a re-run replace the window whatever its keys. #}
{% macro delete_window_rows(column) -%}
    {%- if is_incremental() -%}
    delete from {{ this }} where {{ in_window(column) }}
    {%- endif -%}
{%- endmacro %}
