// Links libbedrock_lite as pkg-config describes it (PKG_CONFIG_PATH names the install prefix):
// the shared library when the prefix has one (with an rpath to it), else the static archive plus
// what it needs: libcurl, libcrypto and zlib (a static install's bedrock_lite.pc lists them under
// Requires, so plain --libs names them) and the C++ runtime, which a C++ linker driver would add
// on its own. No crates: pkg-config is run as a program.
use std::path::Path;
use std::process::Command;

fn pkg_config(arguments: &[&str]) -> String {
    let output = Command::new("pkg-config")
        .args(arguments)
        .arg("bedrock_lite")
        .output()
        .expect("pkg-config is not installed");
    if !output.status.success() {
        panic!(
            "pkg-config {:?} bedrock_lite failed (set PKG_CONFIG_PATH to <prefix>/lib/pkgconfig): {}",
            arguments,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    String::from_utf8(output.stdout).expect("pkg-config printed non-UTF-8")
}

fn main() {
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
    let libdir = pkg_config(&["--variable=libdir"]).trim().to_string();
    let shared = Path::new(&libdir).join("libbedrock_lite.so").exists();
    let flags = pkg_config(&["--libs"]);
    for flag in flags.split_whitespace() {
        if let Some(dir) = flag.strip_prefix("-L") {
            println!("cargo:rustc-link-search=native={}", dir);
        } else if flag == "-lbedrock_lite" {
            let kind = if shared { "dylib" } else { "static" };
            println!("cargo:rustc-link-lib={}=bedrock_lite", kind);
        } else if let Some(name) = flag.strip_prefix("-l") {
            println!("cargo:rustc-link-lib=dylib={}", name);
        } else if flag == "-pthread" {
            println!("cargo:rustc-link-lib=dylib=pthread");
        }
    }
    if shared {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", libdir);
    } else {
        println!("cargo:rustc-link-lib=dylib=stdc++");
    }
}
