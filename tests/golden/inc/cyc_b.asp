# the import that closes the cycle
import "./cyc_a.asp"
list b = ["y"]
