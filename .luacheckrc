-- luacheck over everything written in Lua; tools/run-tests.sh runs it as a suite of make test.
-- std = "max": the union of the globals of Lua 5.1-5.4 and LuaJIT, because every file runs on
-- all of them (where unpack/table.unpack or jit differ, the code checks which one it has).
std = "max"
include_files = { "lua/**/*.lua", "spec/**/*.lua", "examples/**/*.lua", "bench/**/*.lua",
  "bin/referrals", "tools/**/*.lua", ".luacheckrc" }
exclude_files = { "build/**", "doc/**" }
-- The C code keeps to 100 columns; Lua lines holding a whole expected table may run longer.
max_line_length = 120

files["spec/**/*.lua"] = { std = "+busted" }
files[".luacheckrc"] = {
  globals = { "std", "include_files", "exclude_files", "max_line_length", "files" },
}
