#!/usr/bin/env pwsh
# Lyndrix build script. Run through the repo-local PowerShell tool:
#   dotnet tool restore
#   dotnet pwsh build.ps1 <target>
# Targets: build, test, pack, run, bench (default: build).
param(
    [Parameter(Position = 0)][ValidateSet('build', 'test', 'pack', 'run', 'bench', 'samples')][string]$Target = 'build',
    [string]$Configuration = 'Release',
    # Extra arguments for 'dotnet test', e.g. --filter "Category!=Integration".
    [string]$TestArgs = '',
    # Where 'pack' writes the packages (default artifacts/packages): a folder to use as a NuGet feed.
    [string]$PackageOutput = ''
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = $PSScriptRoot
$artifacts = Join-Path $root 'artifacts'

function Invoke-Dotnet {
    param([string[]]$Arguments)
    Write-Host "> dotnet $($Arguments -join ' ')" -ForegroundColor Cyan
    & dotnet @Arguments | Out-Host
    if ($LASTEXITCODE -ne 0) { throw "dotnet $($Arguments[0]) failed with exit code $LASTEXITCODE" }
}

function Invoke-Build {
    Invoke-Dotnet @('build', (Join-Path $root 'Lyndrix.sln'), '-c', $Configuration, '--nologo')
}

# Publishes every sample plugin into artifacts/plugins/<name>, ready to be dropped into PLUGINS_DIR.
function Invoke-Samples {
    $out = Join-Path $artifacts 'plugins'
    if (Test-Path $out) { Remove-Item -Recurse -Force $out }
    $projects = @(Get-ChildItem -Path (Join-Path $root 'samples') -Recurse -Filter '*.csproj' -ErrorAction SilentlyContinue |
        Where-Object { $_.FullName -notmatch '[\\/](tests?|bin|obj)[\\/]' -and $_.BaseName -notmatch '\.Tests$' })
    foreach ($p in $projects) {
        Invoke-Dotnet @('publish', $p.FullName, '-c', $Configuration, '-o', (Join-Path $out $p.BaseName), '--nologo')
    }
    return $out
}

switch ($Target) {
    'build' { Invoke-Build }
    'samples' { Invoke-Samples | Out-Null }
    'test' {
        Invoke-Build
        $results = Join-Path $artifacts 'test-results'
        if (Test-Path $results) { Remove-Item -Recurse -Force $results }
        $args = @('test', (Join-Path $root 'Lyndrix.sln'), '-c', $Configuration, '--no-build', '--nologo',
            '--logger', 'trx', '--logger', 'console;verbosity=minimal', '--results-directory', $results)
        if ($TestArgs) { $args += ($TestArgs -split ' ') }
        Invoke-Dotnet $args
    }
    'pack' {
        # Only what is published as a package (Lyndrix.Packages.slnf: Lyndrix.Sdk, Lyndrix.Sdk.Testing, Lyndrix.Templates and
        # the lyndrix tool) and what those build on; the tests, samples and benchmarks are not built.
        $packages = if ($PackageOutput) { [System.IO.Path]::GetFullPath($PackageOutput) } else { Join-Path $artifacts 'packages' }
        Invoke-Dotnet @('pack', (Join-Path $root 'Lyndrix.Packages.slnf'), '-c', $Configuration, '-o', $packages, '--nologo')
        Write-Host "Packages in $packages"
    }
    'run' {
        $plugins = Invoke-Samples
        if (-not $env:PLUGINS_DIR) { $env:PLUGINS_DIR = $plugins }
        Invoke-Dotnet @('run', '--project', (Join-Path $root 'core/Lyndrix.Host/Lyndrix.Host.csproj'), '-c', $Configuration, '--', 'run')
    }
    'bench' {
        Invoke-Dotnet @('run', '--project', (Join-Path $root 'tests/Lyndrix.Benchmarks/Lyndrix.Benchmarks.csproj'), '-c', 'Release', '--')
    }
}
