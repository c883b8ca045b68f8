echo "{{ inputs.text }}" | wc -w | tr -d ' ' > {{ outputs.words }}
