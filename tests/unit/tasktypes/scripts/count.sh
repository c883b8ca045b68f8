# counts the words of a text
echo "{{ inputs.text }}" | wc -w | tr -d ' ' > {{ outputs.words }}
echo {{ inputs.missing_one }}
