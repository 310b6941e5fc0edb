# --- components/vault: reading Vault's JSON answers, shared by the Vault host's steps and the seal guard.
# No pipe ends in a reader that may stop early (grep -q): under pipefail, a reader leaving at its first
# match can kill the writer still writing the rest, and the pipeline then answers false for a true. ---

# json_true KEY JSON: whether the JSON object (compact or pretty-printed) sets KEY to true.
json_true() {
  local pattern="\"$1\"[[:space:]]*:[[:space:]]*true"
  [[ $2 =~ $pattern ]]
}

# json_string KEY JSON: the string value of KEY in Vault's compact JSON (values Vault issues: no quotes).
# shellcheck disable=SC2317 # not every script reads a string
json_string() {
  sed -n 's/.*"'"$1"'":"\([^"]*\)".*/\1/p;T;q' <<<"$2"
}
