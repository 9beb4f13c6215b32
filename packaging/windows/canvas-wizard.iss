; Inno Setup 6 script: a per-user installer for Canvas Sync Wizard (no admin rights needed).
;
; Build on Windows after the PyInstaller build (dist\canvas-wizard\ holds
; canvas-wizard.exe and canvas-wizard-gui.exe):
;   .venv\Scripts\pyinstaller --noconfirm packaging\canvas-wizard.spec
;   "C:\Program Files (x86)\Inno Setup 6\ISCC.exe" /DAppVersion=0.1.0 packaging\windows\canvas-wizard.iss
; Output: dist\CanvasSyncWizard-<version>-setup.exe. Sign both the .exe files and the
; installer with signtool before release (SmartScreen warns about unsigned installers).
; Not built or tested on the project's Linux CI; kept correct by review.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "Canvas Sync Wizard"
#define AppExe "canvas-wizard-gui.exe"
#define SourceDir "..\..\dist\canvas-wizard"

[Setup]
; A fixed GUID: upgrades find and replace the previous install. Never change it.
AppId={{6C1D2F7A-3E4B-4C5D-9A8B-7F1E2D3C4B5A}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppName}
VersionInfoVersion={#AppVersion}
VersionInfoProductName={#AppName}
VersionInfoDescription={#AppName} installer
; Per user: installs to %LOCALAPPDATA%\Programs\Canvas Sync Wizard without UAC.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
SetupIconFile=..\..\resources\icons\canvas-wizard.ico
OutputDir=..\..\dist
OutputBaseFilename=CanvasSyncWizard-{#AppVersion}-setup
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"; Comment: "Connect Cloudwork accounts to Canvas LMS"
Name: "{group}\Uninstall {#AppName}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

; Settings, run history and logs (under %LOCALAPPDATA%\canvas-wizard) and the
; secrets in Windows Credential Manager are kept on uninstall, so a reinstall or
; upgrade keeps the school's setup. "canvas-wizard disconnect NAME" removes secrets.
