# Print "FILE FUNCTION LINES" for every function definition in the C files
# given, in the project's GNU style: the name at column 0 before "(", the
# body between a "{" and a "}" both at column 0.
FNR == 1 { name = ""; start = 0 }
/^[A-Za-z_][A-Za-z0-9_]* \(/ || /^[A-Za-z_][A-Za-z0-9_]*\(/ {
    n = $0; sub(/ *\(.*/, "", n); name = n
}
/^\{/ { if (name != "") start = FNR }
/^\}/ {
    if (start) { print FILENAME, name, FNR - start - 1 }
    start = 0; name = ""
}
